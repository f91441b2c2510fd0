// Chapter 9: the model as a service. The module's map:
//   checkpoints          the Storage module (binary format, validating reader, atomic writer);
//                        CheckpointFuzz.swift corrupts them to test the reader and the loaders
//   loading any of them  ModelRegistry.swift: checkpoint → LoadedModel (classifier, regressor,
//                        embeddings, generator), each with its ModelInfo (kind, parameters, config)
//   offline inference    Classifier.swift (NetworkClassifier, LinearModelClassifier), TextGenerating.swift
//   the HTTP service     HTTP/ (parser, server, client on POSIX sockets) and Service/ (ModelServer's
//                        routes, DynamicBatcher, limits, the demo model, `bench serve`)

import BackpropCore

/// Namespace for chapter 9's experiments.
public enum Chapter9 {}
