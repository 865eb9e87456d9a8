"""The bundled demo platform and its data set: input data for the demo, replay and scenario tests."""
