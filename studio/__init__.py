"""UI helpers for the Streamlit app: per-session file state, cached rendering, the canvas.

Modules here may import streamlit; :mod:`overlay_core` never does. Functions that hold
logic take the session-state mapping as an argument, so they are tested without a
running app; pages pass ``st.session_state``.
"""
