"""Assembles the app."""

from fastapi import FastAPI

app = FastAPI(title="Backprop Lab")
