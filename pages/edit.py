import streamlit as st

st.title("Edit")
