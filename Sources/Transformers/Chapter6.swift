// Chapter 6: attention and the Transformer, a small GPT trained on
// tinyshakespeare. (Under construction: see issue 8.)

import BackpropCore
import RecurrentNetworks

/// Namespace for chapter 6's experiments.
public enum Chapter6 {}
