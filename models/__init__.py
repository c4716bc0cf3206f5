"""Tables, the engine and the unit of work. Import tables from ``models.tables``."""
