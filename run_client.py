#!/usr/bin/env python3
"""ClassChat desktop client. Double-click it, or:

    python run_client.py                          # the connect dialog
    python run_client.py --host H --nick N        # connect at once (scripts, classrooms)
    python run_client.py --host H --port P --nick N --password PW
    python run_client.py --install-launcher       # ClassChat in the menu and on the desktop
"""

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from desktop_client import preflight  # noqa: E402  (readable by any Python)

if preflight.python_problem():
    preflight.tell(preflight.python_problem())
    sys.exit(1)

from protocol import PORT  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The ClassChat desktop client.")
    parser.add_argument("--host", help="server address (default: the last one used)")
    parser.add_argument("--port", type=int, help=f"server port (default: {PORT})")
    parser.add_argument("--nick", help="connect at once with this nickname")
    parser.add_argument("--password", help="the admin password (teachers only)")
    parser.add_argument("--geometry", help="window size and place, e.g. 880x580+0+0")
    launcher = parser.add_mutually_exclusive_group()
    launcher.add_argument("--install-launcher", action="store_true",
                          help="add ClassChat to the menu and the desktop, then exit")
    launcher.add_argument("--uninstall-launcher", action="store_true",
                          help="remove what --install-launcher added, then exit")
    return parser.parse_args(argv)


def _sharp_text_on_windows() -> None:
    """Without this, Windows scales the whole window up as a blurry bitmap on HiDPI."""
    if sys.platform.startswith("win"):
        try:
            import ctypes
            ctypes.windll.shcore.SetProcessDpiAwareness(1)
        except (AttributeError, OSError):
            pass


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.install_launcher or args.uninstall_launcher:
        from desktop_client import launcher
        return launcher.main("install" if args.install_launcher else "uninstall")
    try:
        import tkinter
    except ImportError:
        preflight.tell(preflight.tk_advice())
        return 1
    from desktop_client import config
    from desktop_client.app import ChatApp

    settings = config.load()
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    if args.nick:
        settings.nick = args.nick
    _sharp_text_on_windows()
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
    # Ctrl+C in the console or a polite kill: log out cleanly, like closing the window.
    # (The handler runs between Tk events; the app's pump wakes Python every 30 ms.)
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: root.after(0, app.close))
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
