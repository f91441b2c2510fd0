// Exercises for chapter 06 (see exercises/README.md).
