"""Backprop Lab web app: the REST API over ffnn_core and the visualiser page."""
