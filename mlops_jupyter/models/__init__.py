"""SERVICE models: log, load, register, promote and serve the models a notebook trains."""
