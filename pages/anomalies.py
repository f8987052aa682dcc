import streamlit as st

st.title("Détection d'anomalies")
st.info("Cette page arrive bientôt.")
