"""pipdream: a generative-AI electronic die for microcontrollers."""
