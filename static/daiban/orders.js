// Online orders: the QR poster's print button (shown only when there is script to press it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
