"""The desktop client: a Tkinter chat window for the classroom chat.

`app.py` owns Tk; `net.py` owns the socket (a reader thread feeding a queue);
`presenter.py` decides what is shown and is testable without a window.
"""
