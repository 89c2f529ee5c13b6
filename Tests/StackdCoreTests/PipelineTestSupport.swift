import StackdCore
import StackdTestSupport

extension StackingPipeline {
    /// Feeds raw bytes with an optional topic string.
    @discardableResult
    func feed(_ payload: [UInt8], topic: String? = nil, at time: Int64 = 0, into h: inout OutputRecorder) -> IngestOutcome {
        var p = payload
        return p.withUnsafeMutableBytes { pb in
            if let topic {
                var t = Array(topic.utf8)
                return t.withUnsafeMutableBytes { tb in
                    ingest(topic: UnsafeRawBufferPointer(tb), payload: UnsafeRawBufferPointer(pb), receivedAt: time, handler: &h)
                }
            }
            return ingest(topic: nil, payload: UnsafeRawBufferPointer(pb), receivedAt: time, handler: &h)
        }
    }

    @discardableResult
    func feed(_ json: String, topic: String? = nil, at time: Int64 = 0, into h: inout OutputRecorder) -> IngestOutcome {
        feed(Array(json.utf8), topic: topic, at: time, into: &h)
    }

    @discardableResult
    func predict(_ model: String, symbol: String = "SPX", horizon: Int = 5, ts: Int64 = 100, seq: UInt64 = 1,
                 _ p: [Double], at time: Int64 = 0, into h: inout OutputRecorder) -> IngestOutcome {
        feed(WireEncoder.binaryPrediction(model: model, symbol: symbol, horizon: horizon, eventTime: ts,
                                          sequence: seq, probabilities: p),
             topic: Topic.prediction(symbol: symbol, horizon: horizon, model: model), at: time, into: &h)
    }
}

func makePipeline(models: [String] = ["a", "b", "c"], deadline: Int64 = 1_000, minModels: Int = 1,
                  maxPending: Int = 16, symbols: [String] = []) throws -> StackingPipeline {
    try StackingPipeline(configuration: PipelineConfiguration(
        models: models, horizons: [5, 10], symbols: symbols, deadlineNanoseconds: deadline,
        minModels: minModels, maxPendingRows: maxPending))
}
