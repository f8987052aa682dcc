"""The training service: jobs that train run specifications in turns, in a child process. No Streamlit."""
