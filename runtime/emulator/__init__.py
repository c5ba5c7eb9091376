"""Local emulators of the Google APIs the runtime delivers to (`runtime emulator discoveryengine`)."""
