"""Language-model backends behind one interface, with a request cache and structured output.

``request.py`` is what a stage asks for and gets back; ``cache.py`` the SQLite request cache;
``http.py`` any OpenAI-compatible server (vLLM, SGLang, llama.cpp, TGI, Ollama, hosted APIs);
``local.py`` the embedded in-process model (SmolLM2-135M-Instruct, no server); ``vllm.py`` an
in-process vLLM engine on GPU machines; ``client.py`` puts a backend behind the cache and counts
usage; ``structured.py`` turns a request with an output schema into a validated object, or a
failure with the raw output and its reason; ``serve.py`` serves the embedded model over HTTP.
"""
