-- Small helpers shared by the plugin's modules: messages, client calls that differ between
-- Neovim versions, LSP positions and ranges.
local U = {}

U.NAME = "goldcrest"

--- Echo a message (without adding it to :messages history).
function U.echo(msg, hl)
  vim.api.nvim_echo({ { msg, hl or "None" } }, false, {})
end

--- vim.notify with the plugin's title.
function U.notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = "Goldcrest" })
end

--- Drop vim.NIL values (the server wants unset keys left out, not null).
function U.strip_nils(value)
  if type(value) ~= "table" then
    return value
  end
  local out = {}
  for k, v in pairs(value) do
    if v ~= vim.NIL then
      out[k] = U.strip_nils(v)
    end
  end
  return out
end

U.HAS_011 = vim.fn.has("nvim-0.11") == 1

-- Client methods are called with ':' from 0.11 on and with '.' before.
function U.call(client, method, ...)
  if U.HAS_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- The LSP clients (of a buffer, with `filter.bufnr`), on every Neovim version.
function U.all_clients(filter)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  if filter and filter.bufnr then
    return vim.lsp.buf_get_clients(filter.bufnr)
  end
  return vim.lsp.get_active_clients()
end

--- The running goldcrest clients.
function U.clients()
  local out = {}
  for _, client in pairs(U.all_clients()) do
    if client.name == U.NAME then
      table.insert(out, client)
    end
  end
  return out
end

--- The client's position encoding.
function U.encoding(client)
  return (client and client.offset_encoding) or "utf-16"
end

--- LSP character offset of byte column `col` (0-based) in `line`.
function U.char_of(line, col, enc)
  if enc == "utf-8" then
    return col
  end
  col = math.min(col, #line)
  local utf32, utf16 = vim.str_utfindex(line, col)
  if enc == "utf-32" then
    return utf32
  end
  return utf16
end

--- Line `row` (0-based) of a buffer.
function U.buf_line(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
end

--- A range covering whole lines line1..line2 (1-based, inclusive).
function U.line_range(bufnr, line1, line2, enc)
  local last = U.buf_line(bufnr, line2 - 1)
  return {
    start = { line = line1 - 1, character = 0 },
    ["end"] = { line = line2 - 1, character = U.char_of(last, #last, enc) },
  }
end

--- The cursor as an LSP position.
function U.cursor_position(bufnr, enc)
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  return { line = row - 1, character = U.char_of(U.buf_line(bufnr, row - 1), col, enc) }
end

--- Fire `User <pattern>` (with `data` where Neovim supports it).
function U.fire_user_event(pattern, data)
  local ok = pcall(vim.api.nvim_exec_autocmds, "User", { pattern = pattern, modeline = false, data = data })
  if not ok then -- Neovim 0.7: no `data`
    pcall(vim.api.nvim_exec_autocmds, "User", { pattern = pattern, modeline = false })
  end
end

return U
