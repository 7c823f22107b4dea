"""Which URLs a client may make the server open, and how URLs are written wherever they are logged."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from host_engine.errors import HostEngineError
from host_engine.host.logfile import log_to_file
from host_engine.urls import check_stream_url, redact, redact_text


@pytest.mark.parametrize(
    ("url", "shown"),
    [("rtmp://user:pw@live.example:1935/app/SECRET", "rtmp://live.example:1935/app/***"),
     ("rtmp://live.example/SECRET", "rtmp://live.example/***"),
     ("srt://10.0.0.2:9000?streamid=SECRET&passphrase=SECRET", "srt://10.0.0.2:9000?***"),
     ("https://cdn.example/live/SECRET.m3u8?token=SECRET", "https://cdn.example/live/***?***"),
     ("rtmp://[::1]:1935/app/SECRET", "rtmp://[::1]:1935/app/***"),
     ("samples/clip.mp4", "samples/clip.mp4")],
)  # fmt: skip
def test_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert "SECRET" not in redact_text(f"FFmpeg: {url}: Connection refused")


@pytest.mark.parametrize(
    "url",
    ["rtmp://live.example/app/key", "rtmps://live.example/app/key", "srt://10.0.0.2:9000?mode=caller&streamid=a",
     "udp://239.0.0.1:1234?sources=10.0.0.3", "rtp://239.0.0.1:5004", "rtmp://127.0.0.1/live/relay"],
)  # fmt: skip
def test_network_streams_are_accepted(url: str) -> None:
    assert check_stream_url(url) == url


@pytest.mark.parametrize(
    ("url", "rule"),
    [("/etc/hostname", "network streams"), ("file:///etc/hostname", "network streams"),
     ("concat:a.mp4|b.mp4", "network streams"), ("tcp://10.0.0.2:9000", "network streams"),
     ("udp://@:1234", "network streams"), ("srt://10.0.0.2:9000?mode=listener", "open a port"),
     ("srt://10.0.0.2:9000?MODE=Rendezvous", "open a port"), ("rtmp://0.0.0.0/live?listen=1", "open a port"),
     ("udp://239.0.0.1:1234?fifo_size=100000000", "not allowed"), ("udp://239.0.0.1:1234?localport=80", "not allowed"),
     ("http://cdn.example/clip.mp4", "HLS"), ("http://127.0.0.1:8080/admin.m3u8", "private"),
     ("http://169.254.169.254/latest.m3u8", "private"), ("http://[::1]/x.m3u8", "private"),
     ("rtmp://live.example/app/key\\nx", "control"), ("rtmp://live.example/app/a key", "spaces")],
)  # fmt: skip
def test_everything_else_is_refused_naming_the_rule(url: str, rule: str) -> None:
    with pytest.raises(HostEngineError, match=rule):
        check_stream_url(url.replace("\\n", "\n"))


def test_the_host_log_redacts_messages_threads_and_tracebacks(tmp_path: Path) -> None:
    handler = log_to_file(tmp_path / "host.log")
    log = logging.getLogger("host_engine.test")
    try:
        try:
            raise OSError("rtmp://live.example/app/SECRET: broken pipe")
        except OSError as cause:
            raise RuntimeError("output failed") from cause
    except RuntimeError:
        log.exception("restarting rtmp://live.example/app/SECRET")
    finally:
        logging.getLogger("host_engine").removeHandler(handler)
        handler.close()
    [entry] = [json.loads(line) for line in (tmp_path / "host.log").read_text().splitlines()]
    assert "SECRET" not in json.dumps(entry) and "rtmp://live.example/app/***" in entry["error"]
