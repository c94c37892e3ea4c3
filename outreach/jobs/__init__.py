"""Background work people wait for (large exports, roster checks and imports), its
progress bar, and the periodic tasks the worker queues."""
