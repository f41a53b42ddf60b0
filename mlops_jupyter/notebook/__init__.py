"""FOUNDATION notebook: reading notebooks, cell roles, the parameters schema, name analysis."""
