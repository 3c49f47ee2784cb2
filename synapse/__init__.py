"""Synapse: the composition root (``runtime``) and the ``synapse`` command line (``cli``)."""
