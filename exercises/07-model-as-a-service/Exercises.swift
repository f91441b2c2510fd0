// Exercises for chapter 07 (see exercises/README.md).
