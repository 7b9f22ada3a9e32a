"""What the screens and the report read: view models over core and store."""
