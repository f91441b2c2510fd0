// Exercises for chapter 05 (see exercises/README.md).
