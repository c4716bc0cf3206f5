"""The Bot API methods the emulator serves, one module per area; ``table.py`` names them."""
