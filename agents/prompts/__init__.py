"""What agents are told: system prompts, and the fences that mark outside text as data."""
