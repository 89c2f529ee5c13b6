#!/usr/bin/env bash
# Renders a stackd report.html in headless Chromium and checks that it actually drew something:
# the screenshot must have many distinct colours (a blank or error page has one or two) and the
# page must log no JavaScript or console errors.
#
#   scripts/check-report.sh REPORT.html OUT.png
#   scripts/check-report.sh CHARTS.html OUT.png BAND_HEIGHT BANDS
#
# With BAND_HEIGHT and BANDS the page is a strip of BANDS charts, one per BAND_HEIGHT pixels (as
# ReportRenderingTests lays them out), and every band must also hold at least 100 coloured pixels
# (max−min channel > 40): a chart whose lines or points did not draw has only grey axes and text.
#
# Exit status: 0 when the page rendered, 1 when it did not, 2 on usage errors, 3 when Chromium is
# not installed (`scripts/install-deps.sh --for-tests` installs it).
set -euo pipefail

if [ $# -ne 2 ] && [ $# -ne 4 ]; then echo "usage: $0 REPORT.html OUT.png [BAND_HEIGHT BANDS]" >&2; exit 2; fi
band=${3:-0}
bands=${4:-0}
height=3000
if [ "$bands" -gt 0 ]; then height=$((band * bands)); fi
report=$(realpath "$1")
out=$(realpath -m "$2")
[ -f "$report" ] || { echo "check-report: $report does not exist" >&2; exit 2; }

if ! command -v chromium >/dev/null 2>&1; then
    echo "check-report: chromium is not installed (scripts/install-deps.sh --for-tests installs it)" >&2
    exit 3
fi

rm -f "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A private profile so runs never share state; a timeout so a hung browser fails the check.
profile=$(mktemp -d)
trap 'rm -rf "$log" "$profile"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --screenshot="$out" --window-size=1400,"$height" "file://$report" >"$log" 2>&1 || {
    echo "check-report: chromium failed:" >&2; cat "$log" >&2; exit 1; }

if grep -E "Uncaught|ERROR:CONSOLE|:CONSOLE\(" "$log" >&2; then
    echo "check-report: the page logged console errors" >&2; exit 1
fi
[ -s "$out" ] || { echo "check-report: no screenshot written" >&2; exit 1; }

# Count distinct colours in the PNG with the standard library only (zlib + struct).
python3 - "$out" "$band" "$bands" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
band, bands = int(sys.argv[2]), int(sys.argv[3])
coloured = [0] * max(bands, 1)
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), f"unsupported PNG (depth {depth}, colour type {ctype})"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
colours, i = set(), 0
for _row in range(height):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 2):
        colours.add(bytes(line[x:x + 3]))
        if bands and max(line[x:x + 3]) - min(line[x:x + 3]) > 40 and _row // band < bands:
            coloured[_row // band] += 1
    prev = line
print(f"check-report: {width}x{height} screenshot, {len(colours)} distinct colours")
if len(colours) < 16:
    sys.exit("check-report: the screenshot is (nearly) blank")
if bands:
    print("check-report: coloured pixels per chart: " + " ".join(map(str, coloured)))
    empty = [i for i, n in enumerate(coloured) if n < 100]
    if empty:
        sys.exit(f"check-report: chart(s) {empty} drew no coloured line or point")
PY
echo "check-report: OK ($out)"
