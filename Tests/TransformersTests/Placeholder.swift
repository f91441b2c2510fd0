// Tests for the module of the same name (filled in as the chapter lands).
