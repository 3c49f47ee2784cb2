"""The Synapse hub: the domain. Imports neither FastAPI nor amqtt."""
