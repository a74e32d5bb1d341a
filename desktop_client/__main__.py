"""`python -m desktop_client`: the client with every option, `--lang` included.

run_client.py can delegate here (`from desktop_client.__main__ import main`).
"""

import argparse
import signal
import sys

from protocol import PORT
from desktop_client import i18n


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The ClassChat desktop client.")
    parser.add_argument("--host", help="server address (default: the last one used)")
    parser.add_argument("--port", type=int, help=f"server port (default: {PORT})")
    parser.add_argument("--nick", help="connect at once with this nickname")
    parser.add_argument("--password", help="the admin password (teachers only)")
    parser.add_argument("--geometry", help="window size and place, e.g. 880x580+0+0")
    parser.add_argument("--lang", choices=sorted(i18n.LANGUAGES),
                        help="language of the window (default: the system's, or the last chosen)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import tkinter
    except ImportError:
        print("This Python has no tkinter. On Debian/Ubuntu: sudo apt install python3-tk",
              file=sys.stderr)
        return 1
    from desktop_client import config
    from desktop_client.app import ChatApp

    settings = config.load()
    for name in ("host", "port", "nick", "lang"):
        if getattr(args, name):
            setattr(settings, name, getattr(args, name))
    try:
        root = tkinter.Tk(className="ClassChat")
    except tkinter.TclError as error:
        print(f"Cannot open a window: {error}", file=sys.stderr)
        return 1
    app = ChatApp(root, settings)
    if args.geometry:
        root.geometry(args.geometry)
    if args.nick:
        app.connect(settings.host, settings.port, settings.nick, args.password)
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: root.after(0, app.close))
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
