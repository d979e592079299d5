-- Headless Neovim test (test.lua): a server outside $PATH is found in pipx's venv; when it is
-- nowhere, every place searched is named.

return function(t)
  local GOLDCREST, tmp = t.GOLDCREST, t.tmp

  t.check("a server outside $PATH: found in pipx's venv, else every place searched is named", function()
    local server = require("goldcrest.server")
    local path, home = vim.env.PATH, vim.env.HOME
    local exe = vim.fn.exepath(GOLDCREST)
    -- $PATH without any folder holding a goldcrest, and an empty home
    local dirs = vim.tbl_filter(function(d)
      return d ~= "" and vim.fn.executable(d .. "/goldcrest") == 0
    end, vim.split(path or "", ":", { plain = true }))
    vim.env.PATH = table.concat(dirs, ":")
    vim.env.HOME = tmp .. "/home"
    local ok, err = pcall(function()
      local found, message = server.find("goldcrest", "HINT")
      assert(found == nil, "found " .. tostring(found))
      for _, place in ipairs({ "$PATH", tmp .. "/home/.local/pipx/venvs/goldcrest/bin", tmp .. "/home/.local/bin", "HINT" }) do
        assert(message:find(place, 1, true), place .. " not named in: " .. message)
      end
      local venv_bin = tmp .. "/home/.local/pipx/venvs/goldcrest/bin"
      vim.fn.mkdir(venv_bin, "p")
      assert(vim.loop.fs_symlink(exe, venv_bin .. "/goldcrest"))
      found = server.find("goldcrest", "HINT")
      assert(found == venv_bin .. "/goldcrest", "found " .. tostring(found))
      -- a configured path wins and is never replaced by one found elsewhere
      found, message = server.find("/nope/goldcrest", "HINT")
      assert(found == nil and message:find("/nope/goldcrest", 1, true), tostring(message))
    end)
    vim.env.PATH, vim.env.HOME = path, home
    assert(ok, err)
  end)
end
