"""nginx with Debian's RTMP module in the foreground on a free loopback port, for the host's streaming tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ircd import free_port

RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


class RtmpServer:
    """nginx with Debian's RTMP module, in the foreground on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.config = folder / "nginx.conf"
        self.config.write_text(
            f"load_module {RTMP_MODULE};\ndaemon off;\nmaster_process off;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/nginx.log;\nevents {{ worker_connections 64; }}\n"
            f"rtmp {{ server {{ listen 127.0.0.1:{self.port}; application live {{ live on; record off; }} }} }}\n"
        )
        self.folder = folder
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(["nginx", "-c", str(self.config), "-p", str(self.folder)])

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
