import streamlit as st

st.title("Espace latent et ACP")
st.info("Cette page arrive bientôt.")
