"""Page-ready data for each dashboard page, built from the database (no Streamlit here)."""
