// A file over the size limit is refused in the browser, before its bytes are sent; the server
// still checks everything (without JavaScript its page says the same).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches("input[type=file][data-max-bytes]")) {
    return;
  }
  const limit = Number(input.dataset.maxBytes);
  const tooLarge = Array.from(input.files).some((file) => file.size > limit);
  input.setCustomValidity(tooLarge ? input.dataset.tooLarge : "");
  input.reportValidity();
});
