import streamlit as st

st.title("Débruitage et restauration")
st.info("Cette page arrive bientôt.")
