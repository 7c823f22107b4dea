#!/usr/bin/env bash
# Builds samples/librivox_sense.mp4: five real LibriVox readings (Debian pocketsphinx-testdata) joined with short
# pauses, over a generated test-pattern video. Re-run to rebuild; needs ffmpeg and pocketsphinx-testdata.
set -euo pipefail
src=/usr/share/pocketsphinx/test/data/librivox
out=$(dirname "$0")/librivox_sense.mp4
inputs=() filters=""
i=0
for clip in 0870 0880 0890 0920 0930; do
  inputs+=(-i "$src/sense_and_sensibility_01_austen_64kb-$clip.wav")
  filters+="[$i:a]apad=pad_dur=0.6[a$i];"
  i=$((i + 1))
done
filters+="[a0][a1][a2][a3][a4]concat=n=5:v=0:a=1,adelay=800:all=1,apad=pad_dur=1.0[aout]"
ffmpeg -nostdin -hide_banner -loglevel error -y "${inputs[@]}" \
  -f lavfi -i "testsrc2=size=320x180:rate=15:duration=29.53" \
  -filter_complex "$filters" -map 5:v -map "[aout]" \
  -c:v libx264 -preset veryslow -crf 35 -pix_fmt yuv420p -c:a aac -b:a 48k -ac 1 -ar 16000 \
  -metadata:s:a:0 language=eng -movflags +faststart "$out"
echo "wrote $out"
