// Chapter 7: the model as a service: checkpoints (BackpropCore/Storage),
// loading any of them (ModelRegistry.swift), offline inference
// (Classifier.swift) and an HTTP service.

import BackpropCore

/// Namespace for chapter 7's experiments.
public enum Chapter7 {}
