"""What the lab's Flask services share: JSON errors, fault knobs, tracing and logging set-up."""
