// While a leak is traced (seconds for a long PDF), say what is happening.
document.getElementById("trace-form").addEventListener("submit", function () {
  document.getElementById("progress").textContent =
    "Tracing: registering the leak, reading the fingerprint, scoring every recipient…";
});
