// Placeholder: this module's types arrive with the durable-delivery work.
