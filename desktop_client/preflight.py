"""A friendly start: what to install when this Python is too old or has no Tk.

Checked before anything else is imported, so this module is written for any Python a
student may have, 2.7 included (no f-strings, no annotations): it must be able to say
"ClassChat needs Python 3.11" rather than fail on the syntax of the modules after it.
Every decision is a plain function of its inputs, tested without the systems it names.
"""

import os
import sys

MIN_PYTHON = (3, 11)
DOWNLOAD_PAGE = "https://www.python.org/downloads/"

# /etc/os-release ID or ID_LIKE -> the command that adds Tk to the system's Python 3
_LINUX_TK = (
    (("debian", "ubuntu"), "sudo apt install python3-tk"),
    (("fedora", "rhel", "centos"), "sudo dnf install python3-tkinter"),
    (("arch",), "sudo pacman -S tk"),
    (("suse", "opensuse"), "sudo zypper install python3-tk"),
    (("alpine",), "sudo apk add python3-tkinter"),
)


def _version_text(version):
    return ".".join(str(part) for part in version[:3])


def python_problem(version=None, executable=None, program=None):
    """What to tell a user whose Python is too old for ClassChat; None if it is fine."""
    version = tuple(version or sys.version_info)
    if version[:2] >= MIN_PYTHON:
        return None
    needed = _version_text(MIN_PYTHON)
    program = program or os.path.basename(sys.argv[0] or "") or "classchat.pyz"
    return ("ClassChat needs Python %s or newer; this is Python %s (%s).\n"
            "Install a newer one from %s (Debian/Ubuntu: sudo apt install python%s), "
            "then open ClassChat with it: python%s %s"
            % (needed, _version_text(version), executable or sys.executable,
               DOWNLOAD_PAGE, needed, needed, program))


def read_os_release(path="/etc/os-release"):
    """{"ID": "debian", "ID_LIKE": "...", ...}; {} where there is no such file."""
    fields = {}
    try:
        with open(path) as lines:
            for line in lines:
                name, sep, value = line.strip().partition("=")
                if sep:
                    fields[name] = value.strip().strip("\"'")
    except (IOError, OSError):
        pass
    return fields


def tk_advice(platform=None, os_release=None, executable=None, prefix=None, version=None):
    """What to install so that this Python has tkinter, for this very system."""
    platform = platform if platform is not None else sys.platform
    executable = executable or sys.executable
    prefix = prefix if prefix is not None else sys.prefix
    version = tuple(version or sys.version_info)
    short = "%d.%d" % version[:2]
    head = "ClassChat's window needs Tk, and this Python (%s) has none (no tkinter).\n" % (
        executable)
    if platform.startswith("win"):
        return head + ("Run the Python %s installer again, choose Modify, tick \"tcl/tk and "
                       "IDLE\", and finish; or install Python from %s with the default "
                       "options (they include Tk)." % (short, DOWNLOAD_PAGE))
    if platform == "darwin":
        if "homebrew" in prefix.lower() or "/cellar/" in prefix.lower():
            return head + "Install it with Homebrew: brew install python-tk@%s" % short
        return head + ("Install Python from %s (its installer includes Tk), or with "
                       "Homebrew: brew install python@%s python-tk@%s"
                       % (DOWNLOAD_PAGE, short, short))
    if os_release is None:
        os_release = read_os_release()
    system_python = executable.startswith(("/usr/bin/", "/bin/"))
    names = set([os_release.get("ID", "")] + os_release.get("ID_LIKE", "").split())
    command = None
    for ids, install in _LINUX_TK:
        if names & set(ids):
            command = install
            break
    if not system_python:
        return head + (
            "It was built without Tk (pyenv, or built from source): install Tk's "
            "development files (Debian/Ubuntu: sudo apt install tk-dev; Fedora: sudo dnf "
            "install tk-devel) and build this Python again, or run ClassChat with the "
            "system's Python (/usr/bin/python3) after: %s"
            % (command or "installing your system's python3-tk package"))
    if command:
        return head + "Install it with: %s" % command
    return head + ("Install your system's Tk package for Python 3 (usually called "
                   "python3-tk or python3-tkinter).")


def tell(message):
    """Say `message` on the console, or in a message box when there is no console
    (pythonw, a double-click on Windows)."""
    stream = sys.stderr
    if stream is not None:
        try:
            stream.write(message + "\n")
            stream.flush()
            return
        except (IOError, OSError, ValueError):
            pass
    if os.name == "nt":
        try:
            import ctypes
            ctypes.windll.user32.MessageBoxW(None, message, u"ClassChat", 0x30)
            return
        except Exception:
            pass
    try:
        # Python 3's Tk (an old Python 3 may be the one that needs telling). Python 2 has
        # a console, or on Windows the message box above.
        import tkinter
        from tkinter import messagebox
        root = tkinter.Tk()
        root.withdraw()
        messagebox.showerror("ClassChat", message)
        root.destroy()
    except Exception:
        pass   # nowhere to say it
