-- What several check files of the headless Neovim test (test.lua) share: LSP requests to the
-- server, finding lines of the fixture, floats, the code action menu and the server's counters.

local M = {}

--- Add the shared helpers to the test's context `t` (after session.start).
function M.install(t)
  local bufnr = t.bufnr

  function t.buf_text(b)
    return table.concat(vim.api.nvim_buf_get_lines(b or 0, 0, -1, false), "\n")
  end

  function t.request(method, params, ms)
    if t.client and not t.ccall(t.client, "supports_method", method) then
      error("the server does not support " .. method, 2)
    end
    local responses, err = vim.lsp.buf_request_sync(0, method, params, ms or 30000)
    if not responses then
      error(method .. " failed: " .. tostring(err), 2)
    end
    local _, r = next(responses)
    if r and r.err then
      error(method .. " error: " .. vim.inspect(r.err), 2)
    end
    return r and r.result
  end

  function t.find_line(pattern)
    for i, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
      if line:find(pattern, 1, true) then
        return i - 1
      end
    end
    error("no line containing " .. pattern)
  end

  --- How many suggestions (or applied edits) of `task` goldcrest/stats counts as accepted whole.
  function t.accepted_count(stats, task)
    local n = 0
    for _, row in ipairs(type(stats) == "table" and stats.acceptance or {}) do
      if row.task == task then
        n = n + row.accepted
      end
    end
    return n
  end

  --- textDocument/codeAction with the cursor on the name of `mean`.
  function t.code_actions_on_mean(ms)
    local row = t.find_line("def mean(values):")
    return t.request("textDocument/codeAction", {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = { line = row, character = 5 }, ["end"] = { line = row, character = 5 } },
      context = { diagnostics = {} },
    }, ms) or {}
  end

  function t.goldcrest_diagnostic()
    return vim.tbl_filter(function(x) return x.source == "goldcrest" end, vim.diagnostic.get(bufnr))[1]
  end

  function t.close_floats()
    local floats = vim.tbl_filter(function(w) return vim.api.nvim_win_get_config(w).relative ~= "" end, vim.api.nvim_list_wins())
    for _, w in ipairs(floats) do
      pcall(vim.api.nvim_win_close, w, true)
    end
    return #floats
  end

  --- Run vim.lsp.buf.code_action() and pick the first action whose title starts with `prefix`.
  function t.pick_code_action(prefix)
    local offered, chosen = {}, nil
    local real_select = vim.ui.select
    vim.ui.select = function(items, _, on_choice)
      vim.ui.select = real_select
      for i, item in ipairs(items) do
        local action = item[2] or item.action or item
        local title = action.title or tostring(item)
        table.insert(offered, title)
        if not chosen and title:sub(1, #prefix) == prefix then
          chosen = i
        end
      end
      on_choice(chosen and items[chosen] or nil, chosen)
    end
    vim.lsp.buf.code_action()
    t.wait(30000, function() return #offered > 0 end, "the code action menu")
    vim.ui.select = real_select
    assert(chosen, "no " .. prefix .. " action among: " .. table.concat(offered, " | "))
  end
end

return M
