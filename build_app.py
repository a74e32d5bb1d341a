#!/usr/bin/env python3
"""Build the one-file app: `python build_app.py` writes

    dist/classchat.pyz     python classchat.pyz            the desktop client
                           python classchat.pyz server     the server
    dist/ClassChat.pyzw    the same app for a double-click on Windows (pythonw: no console)

Standard library only. The bytes come from server/app_bundle.py, the same function the
server uses to hand the app out at /download/, so the same sources give the same bytes.
"""

import argparse
import sys
import time
from pathlib import Path

from server import app_bundle


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(app_bundle.SOURCE_ROOT / "dist"),
                        help="folder to write to (default: %(default)s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    app = app_bundle.build()
    took = time.perf_counter() - started
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, body, mode in ((app_bundle.APP_NAME, app, 0o755),
                             (app_bundle.WINDOWS_NAME, app_bundle.for_windows(app), 0o644)):
        path = out / name
        path.write_bytes(body)
        path.chmod(mode)
        print(f"wrote {path} ({len(body):,} bytes)")
    print(f"built from {len(app_bundle.source_files())} files in {took * 1000:.0f} ms. "
          f"Run it: python {out / app_bundle.APP_NAME}  (server: add `server`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
