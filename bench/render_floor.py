"""The render benchmark's baseline: the least a Streamlit page costs to draw in the same browser on the same machine.

``?chart=1`` adds one three-point plotly chart (``st.plotly_chart``, as the dashboard's pages draw theirs); without
it the page is a title and a line of text. Served by ``bench/run.py`` beside the dashboard; reads no data.
"""

import plotly.graph_objects as go
import streamlit as st

st.title("Render floor")
st.write("A title and a line of text: Streamlit's own cost to draw a page.")
if st.query_params.get("chart") == "1":
    st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2])), width="stretch")
