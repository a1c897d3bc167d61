"""Overlay Studio's server (``make run``): ``app.py`` on Streamlit's server, large downloads in chunks.

``streamlit run serve.py`` serves ``app.py`` as ``streamlit run app.py`` does, with one
ASGI middleware of ours (:class:`studio.streaming.ChunkedDownloads`): a large download
is sent in pieces rather than copied whole into the connection's buffer, so the server's
memory stays at one copy of the file while it goes. ``streamlit run app.py`` still works,
without it.
"""

import streamlit as st
from starlette.middleware import Middleware

from studio.streaming import ChunkedDownloads

app = st.App("app.py", middleware=[Middleware(ChunkedDownloads)])
