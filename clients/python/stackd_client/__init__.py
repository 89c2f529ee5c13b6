"""Python client for stackd (schemas/wire.md): encode and decode every message, wait for
subscriptions before publishing, CURVE set-up; ``stackd_client.aio`` for asyncio.

    pip install ./clients/python
"""
from .curve import configure_curve_client, load_curve_key
from .readiness import covers, wait_for_output, wait_for_subscription
from .wire import (ALERT_KINDS, COMPLETIONS, DECODERS, FLAG_CONTRIBUTIONS, METHODS, SCALES, Alert, Contributions, EnsembleOutput, Frames, Label, Message,
                   Prediction, Regime, WireError, alert_topic, decode, decode_alert, decode_ensemble, decode_label,
                   decode_prediction, encode_alert, encode_ensemble, encode_label, encode_prediction, encode_regime,
                   decode_regime, ensemble_topic, label_topic, prediction_topic, regime_topic)

__version__ = "0.1.0"

__all__ = [
    "ALERT_KINDS", "COMPLETIONS", "DECODERS", "METHODS", "Alert", "EnsembleOutput", "Frames", "Label", "Message",
    "Prediction", "Regime", "WireError", "alert_topic", "configure_curve_client", "decode", "decode_alert", "decode_ensemble",
    "decode_label", "decode_prediction", "encode_alert", "encode_ensemble", "encode_label", "encode_prediction",
    "covers", "ensemble_topic", "label_topic", "load_curve_key", "prediction_topic", "wait_for_output", "encode_regime", "decode_regime", "regime_topic",
    "wait_for_subscription", "Contributions", "FLAG_CONTRIBUTIONS", "SCALES",
]
