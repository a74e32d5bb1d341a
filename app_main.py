"""ClassChat in one file: the one-file app's __main__.py (server/app_bundle.py stores it
under that name), also runnable from the source folder.

    python classchat.pyz                      the desktop client (--help for its options)
    python classchat.pyz server [options]     the server (python classchat.pyz server --help)

Written so that any Python, 2.7 included, can read it: an old one is told which version
ClassChat needs instead of failing on the syntax of the modules behind it.
"""

import os
import sys


def _program():
    """How the user started us, for hints: "python classchat.pyz"."""
    return "python " + os.path.basename(sys.argv[0] or "classchat.pyz")


def _catalogs_from_the_archive():
    """desktop_client/i18n.py opens locale/<code>.json as a file, which a zip is not:
    inside the one-file app, read the catalog from the archive instead."""
    import json
    import pkgutil
    from desktop_client import i18n

    def load_catalog(code):
        if code == i18n.DEFAULT:
            return {}
        return json.loads(pkgutil.get_data("desktop_client", "locale/%s.json" % code)
                          .decode("utf-8"))
    i18n.load_catalog = load_catalog


def main(argv):
    from desktop_client import preflight
    problem = preflight.python_problem()
    if problem:
        preflight.tell(problem)
        return 1
    in_archive = getattr(globals().get("__loader__"), "archive", None) is not None
    if argv[:1] == ["server"]:
        import run_server
        run_server.COMMAND = _program() + " server"   # the banner's hints work as printed
        sys.argv[0] += " server"                       # and --help says "classchat.pyz server"
        return run_server.main(argv[1:])
    if in_archive:
        _catalogs_from_the_archive()
    import run_client
    if sys.stderr is None:   # pythonw (ClassChat.pyzw): no console to show a failure on
        try:
            return run_client.main(argv)
        except Exception:
            import traceback
            preflight.tell("ClassChat stopped on an error:\n\n" + traceback.format_exc())
            return 1
    return run_client.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
