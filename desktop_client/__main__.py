"""The desktop client's command line: `python run_client.py` (or `python -m desktop_client`,
or the one-file app) with every option, `--lang` included."""

import argparse
import os
import signal
import sys

from protocol import PORT
from desktop_client import i18n, preflight


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The ClassChat desktop client.")
    parser.add_argument("--host", help="server address (default: the last one used)")
    parser.add_argument("--port", type=int, help=f"server port (default: {PORT})")
    parser.add_argument("--nick", help="connect at once with this nickname")
    parser.add_argument("--password",
                        help="the admin password (teachers only); visible to others in `ps`, "
                             "so prefer $CHAT_ADMIN_PASSWORD or the dialog")
    parser.add_argument("--geometry", help="window size and place, e.g. 880x580+0+0")
    parser.add_argument("--lang", choices=sorted(i18n.LANGUAGES),
                        help="language of the window (default: the system's, or the last chosen)")
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

    password = args.password
    if password:
        print("Warning: a password on the command line is visible to other users of this "
              "machine (in `ps`); prefer the CHAT_ADMIN_PASSWORD environment variable.",
              file=sys.stderr)
    else:
        password = os.environ.get("CHAT_ADMIN_PASSWORD") or None
    settings = config.load()
    for name in ("host", "port", "nick", "lang"):
        if getattr(args, name):
            setattr(settings, name, getattr(args, name))
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
        app.connect(settings.host, settings.port, settings.nick, password)
    # Ctrl+C in the console or a polite kill: log out cleanly, like closing the window.
    # (The handler runs between Tk events; the app's pump wakes Python every 30 ms.)
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: root.after(0, app.close))
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
