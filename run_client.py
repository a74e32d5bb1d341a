#!/usr/bin/env python3
"""ClassChat desktop client. Double-click it, or:

    python run_client.py                          # the connect dialog
    python run_client.py --host H --nick N        # connect at once (scripts, classrooms)
    python run_client.py --lang ru                # the window in Russian (en, ru, pt)
    python run_client.py --install-launcher       # ClassChat in the menu and on the desktop

A teacher gives the admin password in the dialog, or as CHAT_ADMIN_PASSWORD.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from desktop_client import preflight  # noqa: E402  (readable by any Python)

if preflight.python_problem():
    preflight.tell(preflight.python_problem())
    sys.exit(1)

from desktop_client.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
