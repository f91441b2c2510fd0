// Chapter 7: the model as a service: checkpoints, offline inference and an
// HTTP service. (Under construction: see issue 9.)

import BackpropCore

/// Namespace for chapter 7's experiments.
public enum Chapter7 {}
