"""WhatsApp-first contact center: routing server and agent desktop."""
